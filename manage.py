#!/usr/bin/env python3
from pilar.cli import main

main()
