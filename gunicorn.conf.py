"""gunicorn's settings for the CMS and the preview renderer: gunicorn reads this file from the
folder it starts in (the repository, or /app in the image)."""

# Load the application once, then fork the workers from it: a worker starts at once and shares
# the loaded code's memory, instead of importing Django and Wagtail again (about 2.5 s of CPU
# each). Nothing opens a database connection while the application loads, so no connection
# is shared between workers.
preload_app = True

# No control socket (gunicornc): nothing here uses it, and the CMS and the preview renderer,
# run on one host, would share its default path (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True
