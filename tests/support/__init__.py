"""What many tests share (defined once here, not copied): Metacontroller-shaped requests, canary
objects and settings, paths and samples, free ports, the fake OpenAI server, the hook server,
conformance checks. `bench/` imports from here; nothing here imports `bench`.
"""
