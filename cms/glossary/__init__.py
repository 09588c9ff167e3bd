"""The glossary: terms editors manage, shown together on one page of the site."""
