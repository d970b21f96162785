"""carepolicy command line: composes the engine, the Excel add-in and the workbook builder."""
