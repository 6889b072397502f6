"""`make sam-local-check`: the README's `sam local` commands, run for real against Docker."""
