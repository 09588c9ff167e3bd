# One image for the Python services: the CMS (gunicorn), the build workers and the preview
# renderer. docker-compose.yml chooses the command.
FROM python:3.13-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=cms.settings.production \
    CMS_VAR_DIR=/data \
    SITE_PUBLIC_DIR=/site

RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app \
    && mkdir -p /data/media /site && chown -R app:app /data /site

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cms cms
COPY content_export content_export
COPY site_builder site_builder
COPY themes themes
COPY manage.py ./
RUN pip install -e .

USER app
EXPOSE 8000
CMD ["gunicorn", "cms.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
