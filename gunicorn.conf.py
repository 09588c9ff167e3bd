"""gunicorn's settings for the CMS and the preview renderer: gunicorn reads this file from the
folder it starts in (the repository, or /app in the image)."""

# Load the application once, then fork the workers from it: a worker starts at once and shares
# the loaded code's memory, instead of importing Django and Wagtail again (about 2.5 s of CPU
# each). Nothing opens a database connection while the application loads, so no connection
# is shared between workers.
import gc

preload_app = True

# No control socket (gunicornc): nothing here uses it, and the CMS and the preview renderer,
# run on one host, would share its default path (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True


def pre_fork(server, worker):
    """Freeze what the loaded application made before each worker is forked: a worker's
    cycle collector then skips those hundreds of thousands of objects, which a large
    listing would otherwise make it walk again and again (and the memory pages holding
    them stay shared with the other workers)."""
    gc.freeze()
