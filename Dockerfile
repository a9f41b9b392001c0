# gridfleet on the official Deno image, pinned.
FROM denoland/deno:2.9.6

WORKDIR /app
RUN mkdir -p /data && chown deno:deno /app /data
USER deno

# Dependencies first, so they stay cached while only the source changes.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno . .
RUN deno cache main.ts actors/worker_host.ts

ENV GRIDFLEET_KV=/data/gridfleet.kv
VOLUME /data
EXPOSE 8000
CMD ["deno", "task", "start", "--host", "0.0.0.0"]
