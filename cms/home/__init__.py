"""The home page, plain pages (such as Contribute) and the site's page skeleton."""
