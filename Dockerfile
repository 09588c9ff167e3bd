# One image for the Python services: the CMS (gunicorn), the build workers and the preview
# renderer. docker-compose.yml chooses the command.
FROM python:3.13-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=cms.settings.production \
    CMS_VAR_DIR=/data \
    SITE_PUBLIC_DIR=/site \
    SITE_SETTINGS_FILE=/app/publishconf.py \
    PYTHONPATH=/app

RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app \
    && mkdir -p /data/media /site && chown -R app:app /data /site

WORKDIR /app
# Dependencies first, from the lock: a code change reuses this layer.
COPY requirements.lock ./
RUN pip install -r requirements.lock
# The code runs from /app (the services start here), themes beside it: nothing to install.
COPY manage.py pelicanconf.py publishconf.py gunicorn.conf.py ./
COPY themes themes
COPY content_export content_export
COPY site_builder site_builder
COPY cms cms

USER app
EXPOSE 8000
CMD ["gunicorn", "cms.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
