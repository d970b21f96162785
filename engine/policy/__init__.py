"""Policy files and their meaning: loading, schema messages, dated values, conditions, rules, scenarios, regions, validation."""
