-- 128_hook_post_once: incoming webhooks post in one round trip.
-- An incoming webhook's post in one round trip: the hook found by its
-- secret's hash (its use noted at most once a minute), its channel checked,
-- the message posted as its bot with the override and where it came from.
-- status: created, no_hook, archived.
CREATE FUNCTION px_hook_incoming_post(p_token_hash text, p_body text, p_html text,
    p_lang regconfig, p_names text[], p_props jsonb, OUT status text, OUT message json)
LANGUAGE plpgsql AS $$
DECLARE
  h incoming_hooks;
  c channels;
BEGIN
  SELECT * INTO h FROM incoming_hooks WHERE token_hash = p_token_hash AND revoked_at IS NULL;
  IF NOT FOUND THEN status := 'no_hook'; RETURN; END IF;
  SELECT * INTO c FROM channels WHERE id = h.channel_id;
  IF c.archived_at IS NOT NULL THEN status := 'archived'; RETURN; END IF;
  IF h.last_used_at IS NULL OR h.last_used_at < now() - interval '1 minute' THEN
    UPDATE incoming_hooks SET last_used_at = now() WHERE id = h.id;
  END IF;
  SELECT r.status, r.message INTO status, message FROM px_hook_post(h.channel_id, c.kind,
    h.bot_id, p_body, p_html, p_lang, p_names,
    p_props || jsonb_build_object('via', 'incoming webhook ' || h.name)) r;
END $$;
