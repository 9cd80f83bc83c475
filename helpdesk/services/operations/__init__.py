"""Running the desk: the worker's leases and heartbeats, backups, health and the watchdog."""
