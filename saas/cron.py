"""The clock, for RQ's own scheduler: ``rq cron saas.cron --url "$REDIS_URL"`` (the Procfile's clock).

Every minute it enqueues ``saas.jobs.clock_tick`` for the workers: the tick hands waiting outbox jobs
over again and starts the daily jobs once it is past 06:00 in Oslo (each daily job once per day, by its
outbox key).  A tick that waited more than five minutes in the queue is dropped: the next one does its work.
"""
from rq import cron

from saas.jobs import clock_tick

cron.register(clock_tick, "default", interval=60, ttl=300, result_ttl=600, failure_ttl=7 * 86400, job_timeout=600)
