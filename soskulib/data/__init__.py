"""Reference tables shipped with soskulib: organisations, quality criteria, demo context."""
