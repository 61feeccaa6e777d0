-- 086_token_scopes_within_role: a personal access token may not carry
-- scopes beyond its owner's role (handlers/auth_sessions.c refuses them at
-- minting, fcgi/authmw.c drops them on use). Tokens minted before that
-- rule by accounts below admin lose the admin scope (4) now, so a later
-- promotion cannot wake it; a token left with no scope is revoked.
UPDATE api_tokens t
   SET scopes = t.scopes & ~4,
       revoked_at = CASE WHEN t.scopes & ~4 = 0 THEN now() ELSE t.revoked_at END
  FROM users u
 WHERE u.id = t.user_id AND t.scopes & 4 <> 0 AND u.role NOT IN ('owner', 'admin');
