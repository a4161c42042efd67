"""Benchmarks: polling efficiency, scale and fault survival (see BENCHMARKS.md)."""
