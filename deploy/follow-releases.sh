#!/bin/sh
# Reload nginx whenever the live release changes, so that the redirect maps of the new
# release (included by nginx-site.conf.template) are in force within a second. A reload
# is graceful: connections in flight finish on the old configuration. A release whose
# maps nginx refuses is reported, and the running configuration is kept.
#
# In the nginx image this file sits in /docker-entrypoint.d/ and runs in the background
# before nginx starts. `follow-releases.sh --foreground` runs it in front (the test suite).
# SITE_ROOT is the `current` link; NGINX_CONF, if set, is the nginx configuration file.
set -u
: "${SITE_ROOT:?set SITE_ROOT to the public/current link}"

follow() {
    seen=$(readlink "$SITE_ROOT" 2>/dev/null || echo none)
    while sleep "${FOLLOW_SECONDS:-0.5}"; do
        now=$(readlink "$SITE_ROOT" 2>/dev/null || echo none)
        [ "$now" = "$seen" ] && continue
        seen=$now
        if nginx ${NGINX_CONF:+-c "$NGINX_CONF"} -t -q; then
            nginx ${NGINX_CONF:+-c "$NGINX_CONF"} -s reload
        else
            echo "follow-releases: nginx refused the configuration of release $now;" \
                "the previous one stays in force" >&2
        fi
    done
}

if [ "${1:-}" = "--foreground" ]; then
    follow
else
    follow &
fi
