"""The benchmark groups: each module's `run(options)` returns its figures."""
