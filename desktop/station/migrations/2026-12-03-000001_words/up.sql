-- The station speaks Chinese and English: a record's summary and the server's reason for
-- refusing it are kept in both, as JSON {"en": …, "zh": …}. Records written before keep their
-- English words in both places until they are written again.
UPDATE records SET summary = json_object('en', summary, 'zh', summary)
    WHERE NOT (json_valid(summary) AND json_type(summary) = 'object');
UPDATE records SET problem = json_object('en', problem, 'zh', problem)
    WHERE problem IS NOT NULL AND NOT (json_valid(problem) AND json_type(problem) = 'object');
