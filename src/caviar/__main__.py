from caviar.cli.main import main

main()
