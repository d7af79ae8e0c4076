// file browser: see issue 3
