"""The benchmark harness: `python -m bench --list` names the groups; bench/PERFORMANCE.md tells the rest."""
