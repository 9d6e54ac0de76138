"""The only place that turns ORM rows into matching/ records and records into rows."""
