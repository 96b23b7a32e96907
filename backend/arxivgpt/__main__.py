import sys

from arxivgpt.cli.main import main

sys.exit(main())
