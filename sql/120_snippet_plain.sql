-- 120_snippet_plain: search snippets are cut from the words of a message,
-- never from its Markdown source. px_html_text reads the safe rendering
-- the server stored (messages.html, made by web/markdown.c, which escapes
-- only & < > "): block tags become a space, inline tags go, the four
-- escapes are undone (&amp; last), white space runs become one space.
-- px_snippet escapes its result again.
CREATE OR REPLACE FUNCTION px_html_text(html text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT btrim(regexp_replace(
    replace(replace(replace(replace(
      regexp_replace(
        regexp_replace(html, '</?(p|li|ul|ol|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th|hr|br)\M[^>]*>',
                       ' ', 'gi'),
        '<[^>]*>', '', 'g'),
      '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&amp;', '&'),
    '\s+', ' ', 'g'))
$$;
