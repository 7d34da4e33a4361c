#!/bin/sh
# The SigV4 verifier that guards the S3 e2e tests (sigv4_proxy.py), checked against AWS's
# published signature examples and shown to reject tampered requests (sigv4_vectors.py).
# Needs only python3; its last line is the summary.
exec python3 "$(dirname "$0")/sigv4_vectors.py"
