"""Independent references the tests check the implementation against (written from the schemes' and
papers' definitions, never by calling the code under test)."""
