# The fixture sites contain test-shaped files that are read (not run) by the engine.
collect_ignore_glob = ["fixtures/*"]
