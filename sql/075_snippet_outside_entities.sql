-- px_snippet marks the search terms before escaping, with two private-use
-- characters as placeholders, so that a term like "lt" or "amp" is never
-- marked inside an entity the escaping made ("&<mark>lt</mark>;").
CREATE OR REPLACE FUNCTION px_snippet(body text, terms text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  WITH t AS (SELECT array_agg(x) AS a FROM unnest(terms) x WHERE length(x) > 0),
  clean AS (SELECT translate(body, chr(57344) || chr(57345), '') AS b),
  pos AS (SELECT coalesce(min(nullif(strpos(lower(b), lower(x)), 0)), 1) AS p
          FROM clean, unnest((SELECT a FROM t)) x),
  cut AS (SELECT CASE WHEN p > 60 THEN '…' ELSE '' END
                 || substr(b, greatest(p - 60, 1), 200)
                 || CASE WHEN length(b) > greatest(p - 60, 1) + 199 THEN '…' ELSE '' END AS s
          FROM clean, pos),
  marked AS (SELECT CASE WHEN (SELECT a FROM t) IS NULL THEN s ELSE
               regexp_replace(s, '(' || (SELECT string_agg(regexp_replace(x,
                 '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'), '|') FROM unnest((SELECT a FROM t)) x)
                 || ')', chr(57344) || '\1' || chr(57345), 'gi') END AS s
             FROM cut)
  SELECT replace(replace(
           replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'),
                   '>', '&gt;'), '"', '&quot;'), '''', '&#39;'),
           chr(57344), '<mark>'), chr(57345), '</mark>')
  FROM marked
$$;
