"""hvlab's Python harness: QEMU machines, experiments, trace analysis (stdlib only)."""
