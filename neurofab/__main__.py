from neurofab.cli import main

main()
