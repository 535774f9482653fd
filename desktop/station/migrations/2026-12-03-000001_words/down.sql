-- Back to one language: the English words.
UPDATE records SET summary = json_extract(summary, '$.en')
    WHERE json_valid(summary) AND json_type(summary) = 'object';
UPDATE records SET problem = json_extract(problem, '$.en')
    WHERE problem IS NOT NULL AND json_valid(problem) AND json_type(problem) = 'object';
