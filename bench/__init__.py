"""`make bench`: drive the hook like Metacontroller does and report syncs/s, latency and memory."""
