# The two Quickstart commands: `make demo` and `make test`.
.PHONY: demo test setup setup-test

setup:
	bash scripts/setup.sh

setup-test:
	bash scripts/setup.sh --test

demo: setup
	.venv/bin/pilar demo
	.venv/bin/pilar serve

test: setup-test
	bash scripts/test.sh
