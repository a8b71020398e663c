-- Per project: load the phone and tablet viewports as a mid-range phone on a slow network
-- (CPU 4× slower, 150 ms round trips, 1.6 Mbit/s down), 1 = on.
ALTER TABLE projects ADD COLUMN throttle_mobile INTEGER NOT NULL DEFAULT 0;
