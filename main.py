"""Run the console from a checkout: ``python main.py [--self-test | --view NAME --screenshot FILE]``."""

from console.app import main

if __name__ == "__main__":
    raise SystemExit(main())
