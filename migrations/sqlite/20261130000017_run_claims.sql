-- Check runs claimed by workers (`preflight worker`, or the server's own runner): who holds a
-- running run, when it was last heard of, and how often it has been started. A run whose
-- worker stops answering (killed, machine gone) is taken back by another process: queued again
-- once, interrupted after that — never lost, never run by two workers at once.
ALTER TABLE runs ADD COLUMN claimed_by TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_heartbeat ON runs(status, heartbeat_at);
