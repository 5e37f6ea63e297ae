"""Test support shipped with Frister: platform stand-ins, a test clock, seeders, fakes.

Used by the tests, the benchmarks and the demo; never by the product's serving path.
"""
