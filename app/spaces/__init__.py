"""Role spaces: thin views and forms that call the domain packages."""
