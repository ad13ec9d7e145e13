/* migrations.c - the numbered schema migrations, applied in order at open.
 *
 * Append only: give a new migration the next number and never change one that
 * has shipped (a database records which numbers it has applied). Each runs in
 * one transaction with its version recorded in schema_migrations. Times are
 * integer milliseconds since the Unix epoch (UTC). Numbers are contiguous and
 * taken in landing order: a branch whose number was taken on main meanwhile
 * renumbers to the next free one when it merges (unit.core.store.test_store
 * fails on a gap or a repeat). */
#include <stddef.h>

#include "internal.h"

const struct ac__migration ac__migrations[] = {
    {1, "node users and bearer tokens",
     "CREATE TABLE users ("
     " id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " display_name TEXT NOT NULL,"
     " roles INTEGER NOT NULL CHECK (roles > 0),"
     " created_ms INTEGER NOT NULL,"
     " disabled_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE tokens ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " label TEXT NOT NULL DEFAULT '',"
     " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
     " created_ms INTEGER NOT NULL,"
     " revoked_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX tokens_by_user ON tokens(user_id, id);"},
    {2, "verifiable records: issued records, log leaves, signed checkpoints, status entries",
     /* The leaf of a record is its exact COSE bytes, so records.cose is the
      * log entry and log_leaves keeps only its RFC 9162 leaf hash (proofs are
      * computed from hashes alone). */
     "CREATE TABLE records ("
     " id INTEGER PRIMARY KEY,"
     " cti BLOB NOT NULL UNIQUE CHECK (length(cti) = 16),"
     " subject TEXT NOT NULL,"
     " definition_id TEXT NOT NULL,"
     " definition_version INTEGER NOT NULL,"
     " achieved_level TEXT NOT NULL,"
     " kid TEXT NOT NULL,"
     " iat INTEGER NOT NULL,"
     " log_index INTEGER NOT NULL UNIQUE,"
     " status_idx INTEGER NOT NULL UNIQUE,"
     " cose BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL);"
     "CREATE INDEX records_by_subject ON records(subject, id);"
     "CREATE TABLE log_leaves ("
     " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
     " hash BLOB NOT NULL CHECK (length(hash) = 32),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id));"
     "CREATE TABLE log_checkpoints ("
     " id INTEGER PRIMARY KEY,"
     " size INTEGER NOT NULL CHECK (size >= 0),"
     " root BLOB NOT NULL CHECK (length(root) = 32),"
     " kid TEXT NOT NULL,"
     " note TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL);"
     /* One row per allocated status index: the allocated-index set is the
      * set of idx values. state uses the Token Status List values. */
     "CREATE TABLE status_entries ("
     " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),"
     " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
     " reason TEXT NOT NULL DEFAULT '',"
     " changed_ms INTEGER NOT NULL);"
     "CREATE TABLE status_changes ("
     " id INTEGER PRIMARY KEY,"
     " idx INTEGER NOT NULL REFERENCES status_entries(idx),"
     " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
     " reason TEXT NOT NULL,"
     " by_user INTEGER NOT NULL,"
     " at_ms INTEGER NOT NULL);"
     "CREATE INDEX status_changes_by_idx ON status_changes(idx, id);"},
    {3, "credential lifecycle: definitions, pilot, benchmarks, training, reviewers, audit",
     /* One row per definition version; the JSON is frozen once the version
      * leaves draft (the store refuses edits outside draft). */
     "CREATE TABLE credentials ("
     " id INTEGER PRIMARY KEY,"
     " def_id TEXT NOT NULL,"
     " version INTEGER NOT NULL CHECK (version >= 1),"
     " title TEXT NOT NULL,"
     " definition TEXT NOT NULL,"
     " content_hash TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('draft','piloting','benchmarks','training',"
     "'recruiting','active','retired')),"
     " created_by INTEGER NOT NULL REFERENCES users(id),"
     " created_ms INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " published_ms INTEGER NOT NULL DEFAULT 0,"
     " activated_ms INTEGER NOT NULL DEFAULT 0,"
     " activation_override INTEGER NOT NULL DEFAULT 0,"
     " pilot_round INTEGER NOT NULL DEFAULT 0,"
     " pilot_statistic TEXT NOT NULL DEFAULT 'exact',"
     " pilot_threshold REAL NOT NULL DEFAULT 0,"
     " UNIQUE (def_id, version));"
     /* Pilot validation: submissions of one pilot round, each assigned to
      * experts who score independently (level NULL until scored). */
     "CREATE TABLE pilot_submissions ("
     " id INTEGER PRIMARY KEY,"
     " credential_id INTEGER NOT NULL REFERENCES credentials(id),"
     " round INTEGER NOT NULL,"
     " label TEXT NOT NULL,"
     " content TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (credential_id, round, label));"
     "CREATE TABLE pilot_scores ("
     " submission_id INTEGER NOT NULL REFERENCES pilot_submissions(id),"
     " expert_id INTEGER NOT NULL REFERENCES users(id),"
     " level INTEGER,"
     " scored_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (submission_id, expert_id));"
     "CREATE INDEX pilot_scores_by_expert ON pilot_scores(expert_id, submission_id);"
     /* Benchmark database: items, independent expert scores, the conference
      * result (final_level NULL until resolved) and exposure counts. */
     "CREATE TABLE bench_items ("
     " id INTEGER PRIMARY KEY,"
     " credential_id INTEGER NOT NULL REFERENCES credentials(id),"
     " label TEXT NOT NULL,"
     " content TEXT NOT NULL,"
     " final_level INTEGER,"
     " key_characteristics TEXT,"
     " common_errors TEXT,"
     " resolved_by INTEGER NOT NULL DEFAULT 0,"
     " resolved_ms INTEGER NOT NULL DEFAULT 0,"
     " exposures INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (credential_id, label));"
     "CREATE TABLE bench_scores ("
     " item_id INTEGER NOT NULL REFERENCES bench_items(id),"
     " expert_id INTEGER NOT NULL REFERENCES users(id),"
     " level INTEGER,"
     " scored_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (item_id, expert_id));"
     "CREATE INDEX bench_scores_by_expert ON bench_scores(expert_id, item_id);"
     /* The credential's generated training module and the node's one general
      * module (id 1). */
     "CREATE TABLE training_modules ("
     " credential_id INTEGER PRIMARY KEY REFERENCES credentials(id),"
     " content TEXT NOT NULL,"
     " generated_by INTEGER NOT NULL,"
     " generated_ms INTEGER NOT NULL);"
     "CREATE TABLE general_module ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " content TEXT NOT NULL,"
     " updated_by INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL);"
     /* Reviewers: a profile per user and a certification row per credential
      * applied for. */
     "CREATE TABLE reviewer_profiles ("
     " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
     " school TEXT NOT NULL DEFAULT '',"
     " district TEXT NOT NULL DEFAULT '',"
     " domains TEXT NOT NULL DEFAULT '[]',"
     " available INTEGER NOT NULL DEFAULT 1,"
     " unavailable_until_ms INTEGER NOT NULL DEFAULT 0,"
     " general_module_ms INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL);"
     "CREATE TABLE reviewer_certs ("
     " credential_id INTEGER NOT NULL REFERENCES credentials(id),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " state TEXT NOT NULL CHECK (state IN ('applied','rejected','screened','trained',"
     "'certified','failed','unavailable','retraining')),"
     " answers TEXT NOT NULL DEFAULT '{}',"
     " screening TEXT NOT NULL DEFAULT '[]',"
     " applied_ms INTEGER NOT NULL,"
     " screened_ms INTEGER NOT NULL DEFAULT 0,"
     " trained_ms INTEGER NOT NULL DEFAULT 0,"
     " certified_ms INTEGER NOT NULL DEFAULT 0,"
     " failed_ms INTEGER NOT NULL DEFAULT 0,"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
     " updated_ms INTEGER NOT NULL,"
     " PRIMARY KEY (credential_id, user_id));"
     "CREATE INDEX reviewer_certs_by_user ON reviewer_certs(user_id, credential_id);"
     "CREATE TABLE cert_attempts ("
     " id INTEGER PRIMARY KEY,"
     " credential_id INTEGER NOT NULL REFERENCES credentials(id),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " items TEXT NOT NULL,"
     " answers TEXT,"
     " passed INTEGER,"
     " result TEXT,"
     " started_ms INTEGER NOT NULL,"
     " finished_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX cert_attempts_by_reviewer ON cert_attempts(credential_id, user_id, id);"
     /* Every benchmark item a reviewer was shown, so no draw repeats one. */
     "CREATE TABLE reviewer_seen_items ("
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " item_id INTEGER NOT NULL REFERENCES bench_items(id),"
     " seen_ms INTEGER NOT NULL,"
     " PRIMARY KEY (user_id, item_id));"
     /* Credentials a user is known to hold outside this node's own records,
      * registered by an admin; screening checks "holds credential X" here. */
     "CREATE TABLE held_credentials ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " def_id TEXT NOT NULL,"
     " issuer TEXT NOT NULL DEFAULT '',"
     " registered_by INTEGER NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (user_id, def_id));"
     /* Who did what, when, from which node: append only. actor 0 is the node. */
     "CREATE TABLE audit ("
     " id INTEGER PRIMARY KEY,"
     " subject_kind TEXT NOT NULL,"
     " subject_id TEXT NOT NULL,"
     " actor_user_id INTEGER NOT NULL DEFAULT 0,"
     " node_id TEXT NOT NULL DEFAULT '',"
     " action TEXT NOT NULL,"
     " detail TEXT NOT NULL DEFAULT '{}',"
     " at_ms INTEGER NOT NULL);"
     "CREATE INDEX audit_by_subject ON audit(subject_kind, subject_id, id);"},
    {4, "review lifecycle: submissions, artifacts, batches, assignments, jobs, outbox, flags",
     "CREATE TABLE submissions ("
     " id INTEGER PRIMARY KEY,"
     " earner_id INTEGER NOT NULL REFERENCES users(id),"
     " credential_id TEXT NOT NULL,"
     " credential_version INTEGER NOT NULL,"
     " domain TEXT NOT NULL DEFAULT '',"
     " school TEXT NOT NULL DEFAULT '',"
     " district TEXT NOT NULL DEFAULT '',"
     " team TEXT NOT NULL DEFAULT '',"
     " elements TEXT NOT NULL,"
     " previous_id INTEGER REFERENCES submissions(id),"
     " state INTEGER NOT NULL,"
     " need INTEGER NOT NULL DEFAULT 0,"
     " level INTEGER NOT NULL DEFAULT -1,"
     " passed INTEGER NOT NULL DEFAULT 0,"
     " reason TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " decided_ms INTEGER NOT NULL DEFAULT 0,"
     " notified_ms INTEGER NOT NULL DEFAULT 0,"
     " resubmit_after_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX submissions_by_earner ON submissions(earner_id, id);"
     "CREATE INDEX submissions_by_credential ON submissions(credential_id, id);"
     "CREATE TABLE artifacts ("
     " hash TEXT PRIMARY KEY CHECK (length(hash) = 64),"
     " size INTEGER NOT NULL,"
     " media_type TEXT NOT NULL,"
     " uploader_id INTEGER NOT NULL REFERENCES users(id),"
     " created_ms INTEGER NOT NULL);"
     "CREATE TABLE submission_artifacts ("
     " submission_id INTEGER NOT NULL REFERENCES submissions(id),"
     " hash TEXT NOT NULL REFERENCES artifacts(hash),"
     " PRIMARY KEY (submission_id, hash));"
     "CREATE INDEX submission_artifacts_by_hash ON submission_artifacts(hash);"
     "CREATE TABLE batches ("
     " id INTEGER PRIMARY KEY,"
     " reviewer_id INTEGER NOT NULL REFERENCES users(id),"
     " credential_id TEXT NOT NULL,"
     " state INTEGER NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " deadline_ms INTEGER NOT NULL,"
     " responded_ms INTEGER NOT NULL DEFAULT 0,"
     " completed_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX batches_by_reviewer ON batches(reviewer_id, id);"
     "CREATE TABLE assignments ("
     " id INTEGER PRIMARY KEY,"
     " submission_id INTEGER REFERENCES submissions(id),"
     " benchmark_id TEXT NOT NULL DEFAULT '',"
     " benchmark_level INTEGER NOT NULL DEFAULT -1,"
     " credential_id TEXT NOT NULL,"
     " reviewer_id INTEGER NOT NULL REFERENCES users(id),"
     " batch_id INTEGER REFERENCES batches(id),"
     " state INTEGER NOT NULL,"
     " levels TEXT NOT NULL DEFAULT '',"
     " level INTEGER NOT NULL DEFAULT -1,"
     " feedback TEXT,"
     " created_ms INTEGER NOT NULL,"
     " scored_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX assignments_by_submission ON assignments(submission_id);"
     "CREATE INDEX assignments_by_reviewer ON assignments(reviewer_id, state);"
     "CREATE INDEX assignments_by_batch ON assignments(batch_id);"
     "CREATE TABLE jobs ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL,"
     " ref INTEGER NOT NULL,"
     " due_ms INTEGER NOT NULL,"
     " done_ms INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE (kind, ref, due_ms));"
     "CREATE INDEX jobs_due ON jobs(done_ms, due_ms);"
     "CREATE TABLE notifications ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " kind TEXT NOT NULL,"
     " submission_id INTEGER NOT NULL DEFAULT 0,"
     " subject TEXT NOT NULL,"
     " body TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " next_ms INTEGER NOT NULL,"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " delivered_ms INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT);"
     "CREATE INDEX notifications_due ON notifications(delivered_ms, next_ms);"
     "CREATE TABLE flags ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL,"
     " credential_id TEXT NOT NULL DEFAULT '',"
     " submission_id INTEGER NOT NULL DEFAULT 0,"
     " reviewer_id INTEGER NOT NULL DEFAULT 0,"
     " detail TEXT NOT NULL,"
     " resolved INTEGER NOT NULL DEFAULT 0,"
     " resolution TEXT NOT NULL DEFAULT '',"
     " resolved_by INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL,"
     " resolved_ms INTEGER NOT NULL DEFAULT 0);"},
    /* Recognition: a recognizer's policies, earners' approval requests and the
     * credentials teachers presented with the verdict of verifying them. Issuer
     * and credential ids are text, not references: a recognizer counts
     * credentials from other nodes' catalogs too. */
    {5, "recognition policies, approvals and presented credentials",
     "CREATE TABLE recognition_policies ("
     " id INTEGER PRIMARY KEY,"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " issuer TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),"
     " credential_id TEXT NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 64),"
     " min_version INTEGER NOT NULL CHECK (min_version >= 1),"
     " ceu_hundredths INTEGER CHECK (ceu_hundredths BETWEEN 0 AND 100000),"
     " purpose TEXT NOT NULL CHECK (purpose IN ('ceu', 'pay_scale', 'relicensure')),"
     " requires_approval INTEGER NOT NULL CHECK (requires_approval IN (0, 1)),"
     " note TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " retired_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE UNIQUE INDEX recognition_policies_active"
     " ON recognition_policies(recognizer_id, issuer, credential_id, purpose)"
     " WHERE retired_ms = 0;"
     "CREATE INDEX recognition_policies_by_credential"
     " ON recognition_policies(credential_id, issuer) WHERE retired_ms = 0;"
     "CREATE TABLE recognition_approvals ("
     " id INTEGER PRIMARY KEY,"
     " earner_id INTEGER NOT NULL REFERENCES users(id),"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " policy_id INTEGER NOT NULL REFERENCES recognition_policies(id),"
     " issuer TEXT NOT NULL,"
     " credential_id TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),"
     " note TEXT NOT NULL DEFAULT '',"
     " reason TEXT NOT NULL DEFAULT '',"
     " requested_ms INTEGER NOT NULL,"
     " decided_ms INTEGER NOT NULL DEFAULT 0);"
     /* One live request per earner, recognizer and credential; after a denial
      * the earner may ask again. */
     "CREATE UNIQUE INDEX recognition_approvals_live"
     " ON recognition_approvals(earner_id, recognizer_id, issuer, credential_id)"
     " WHERE state != 'denied';"
     "CREATE INDEX recognition_approvals_by_recognizer"
     " ON recognition_approvals(recognizer_id, id);"
     "CREATE TABLE recognition_presentations ("
     " id INTEGER PRIMARY KEY,"
     " recognizer_id INTEGER NOT NULL REFERENCES users(id),"
     " teacher TEXT NOT NULL CHECK (length(teacher) BETWEEN 1 AND 128),"
     " record_hash BLOB NOT NULL CHECK (length(record_hash) = 32),"
     " cti TEXT NOT NULL,"
     " issuer TEXT NOT NULL,"
     " credential_id TEXT NOT NULL,"
     " credential_version INTEGER NOT NULL,"
     " achieved_level TEXT NOT NULL,"
     " ceu_hundredths INTEGER,"
     " verdict TEXT NOT NULL CHECK (verdict IN ('valid', 'invalid', 'indeterminate')),"
     " status_result TEXT NOT NULL,"
     " verified_by TEXT NOT NULL,"
     " checks TEXT NOT NULL,"
     " presented_ms INTEGER NOT NULL,"
     " verified_ms INTEGER NOT NULL,"
     " UNIQUE (recognizer_id, record_hash));"
     "CREATE INDEX recognition_presentations_by_teacher"
     " ON recognition_presentations(recognizer_id, teacher, id);"},
    {6, "review lifecycle: the record issued for each passed submission",
     /* Written in the transaction that issues the record, so a re-run of the
      * issue job (after a crash or a double fire) finds it and issues nothing:
      * at most one record per submission, enforced by the primary key. */
     "CREATE TABLE submission_records ("
     " submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),"
     " issued_ms INTEGER NOT NULL);"},
    {7, "review lifecycle: failed job attempts and their back-off",
     /* A failing job is retried at retry_ms, not its due time, so it neither
      * spins the scheduler nor loses its identity (kind, ref, due_ms). */
     "ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE jobs ADD COLUMN retry_ms INTEGER NOT NULL DEFAULT 0;"},
    {8, "transparency log: the hashes of complete subtrees",
     /* The perfect subtree of 2^level leaves starting at leaf index << level,
      * written with the leaf that completes it, so a proof reads O(log n)
      * rows instead of every leaf. A log from before this migration is filled
      * in at start; until then proofs fall back to the leaves. */
     "CREATE TABLE log_subtrees ("
     " level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),"
     " idx INTEGER NOT NULL CHECK (idx >= 0),"
     " hash BLOB NOT NULL CHECK (length(hash) = 32),"
     " PRIMARY KEY (level, idx)) WITHOUT ROWID;"},
    {9, "review lifecycle: the credentials row of every batch and assignment",
     /* The review services found a batch's definition by four queries (its
      * assignments, their first submission, that submission's version, the
      * credentials row); the row is now stored where the work is created.
      * Existing rows are placed the way those queries placed them: a real
      * assignment by its submission's version, a batch by its first real
      * assignment (else the highest version), a seeded item by its batch. */
     "ALTER TABLE assignments ADD COLUMN credential_row INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE batches ADD COLUMN credential_row INTEGER NOT NULL DEFAULT 0;"
     "UPDATE assignments SET credential_row = COALESCE((SELECT c.id FROM submissions s"
     " JOIN credentials c ON c.def_id = s.credential_id AND c.version = s.credential_version"
     " WHERE s.id = assignments.submission_id), 0) WHERE submission_id IS NOT NULL;"
     "UPDATE batches SET credential_row = COALESCE("
     " (SELECT a.credential_row FROM assignments a WHERE a.batch_id = batches.id"
     "  AND a.submission_id IS NOT NULL AND a.credential_row <> 0 ORDER BY a.id LIMIT 1),"
     " (SELECT c.id FROM credentials c WHERE c.def_id = batches.credential_id"
     "  ORDER BY c.version DESC LIMIT 1), 0);"
     "UPDATE assignments SET credential_row = COALESCE((SELECT b.credential_row FROM batches b"
     " WHERE b.id = assignments.batch_id), 0) WHERE submission_id IS NULL;"},
    {10, "artifacts: rights per uploader",
     /* Storage stays one file per hash, but each uploader of the same bytes
      * holds its own right to read and cite them (and its own media type),
      * so the first uploader no longer owns what others upload. */
     "CREATE TABLE artifact_uploads ("
     " hash TEXT NOT NULL REFERENCES artifacts(hash),"
     " uploader_id INTEGER NOT NULL REFERENCES users(id),"
     " media_type TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " PRIMARY KEY (hash, uploader_id)) WITHOUT ROWID;"
     "INSERT INTO artifact_uploads (hash, uploader_id, media_type, created_ms)"
     " SELECT hash, uploader_id, media_type, created_ms FROM artifacts;"},
    {11, "federation: peers, the consortium file, outbox, dead letters, inbox, peer documents",
     /* Peers an admin pinned (config peers are pinned again at every start);
      * keys are lowercase hex public keys, comma-separated. */
     "CREATE TABLE fed_peers ("
     " node_id TEXT PRIMARY KEY,"
     " base_url TEXT NOT NULL,"
     " rights INTEGER NOT NULL CHECK (rights BETWEEN 0 AND 31),"
     " keys TEXT NOT NULL,"
     " source TEXT NOT NULL CHECK (source IN ('config', 'admin')),"
     " added_ms INTEGER NOT NULL);"
     /* The newest consortium file that verified; one row, replaced only by a
      * higher serial (the WHERE of its upsert), so a node never goes back. */
     "CREATE TABLE fed_consortium ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " serial INTEGER NOT NULL CHECK (serial >= 1),"
     " file BLOB NOT NULL,"
     " adopted_ms INTEGER NOT NULL);"
     /* Delivery state per peer: the durable cursor (the highest outbox id
      * delivered or dead-lettered) and the durable back-off. */
     "CREATE TABLE fed_peer_state ("
     " node_id TEXT PRIMARY KEY,"
     " cursor INTEGER NOT NULL DEFAULT 0,"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
     " last_success_ms INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " received INTEGER NOT NULL DEFAULT 0);"
     /* Written in the transaction of the change that causes the message; the
      * body is stored, the envelope is signed afresh at each attempt (so its
      * ts is current) under the same msg_id, which the receiver dedups on. */
     "CREATE TABLE fed_outbox ("
     " id INTEGER PRIMARY KEY,"
     " peer TEXT NOT NULL,"
     " type TEXT NOT NULL,"
     " msg_id TEXT NOT NULL,"
     " body BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL);"
     "CREATE INDEX fed_outbox_by_peer ON fed_outbox(peer, id);"
     "CREATE TABLE fed_dead_letters ("
     " id INTEGER PRIMARY KEY,"
     " peer TEXT NOT NULL,"
     " type TEXT NOT NULL,"
     " msg_id TEXT NOT NULL,"
     " body BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " status INTEGER NOT NULL,"
     " problem TEXT NOT NULL,"
     " dead_ms INTEGER NOT NULL);"
     /* One row per (sender, id) ever applied, written in the transaction of
      * its effect, with the signed answer given, so a repeat gets that very
      * answer and no second effect. */
     "CREATE TABLE fed_inbox ("
     " sender TEXT NOT NULL,"
     " msg_id TEXT NOT NULL,"
     " type TEXT NOT NULL,"
     " body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),"
     " status INTEGER NOT NULL,"
     " answer BLOB NOT NULL,"
     " received_ms INTEGER NOT NULL,"
     " PRIMARY KEY (sender, msg_id));"
     /* Raw signed documents fetched from peers (self-descriptions,
      * catalogs), kept as the bytes that verified. */
     "CREATE TABLE fed_peer_docs ("
     " node_id TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " doc BLOB NOT NULL,"
     " fetched_ms INTEGER NOT NULL,"
     " PRIMARY KEY (node_id, kind));"
     /* Witness cosignatures (C2SP tlog-cosignature lines) peers made on our
      * checkpoints, one per witness and size. */
     "CREATE TABLE fed_cosignatures ("
     " size INTEGER NOT NULL,"
     " witness TEXT NOT NULL,"
     " line TEXT NOT NULL,"
     " received_ms INTEGER NOT NULL,"
     " PRIMARY KEY (size, witness));"},
    {12, "web sign-in: password hashes, browser sessions and one-time links",
     /* Passwords are Argon2id strings (crypto_pwhash_str); sessions and links
      * are found by a keyed hash of their random token, like bearer tokens, so
      * the database alone never yields a usable cookie or link. */
     "CREATE TABLE web_passwords ("
     " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
     " hash TEXT NOT NULL,"
     " set_ms INTEGER NOT NULL);"
     "CREATE TABLE web_sessions ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
     " created_ms INTEGER NOT NULL,"
     " expires_ms INTEGER NOT NULL,"
     " revoked_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE web_links ("
     " hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " purpose TEXT NOT NULL CHECK (purpose IN ('sign-in', 'set-password')),"
     " created_ms INTEGER NOT NULL,"
     " expires_ms INTEGER NOT NULL,"
     " used_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"},
    {13, "review: second-master checks",
     /* A master-mode submission drawn for a blind duplicate check has two
      * masters; the second one's assignment is marked, so a disagreement
      * between them is told apart from an ordinary added reviewer. */
     "ALTER TABLE assignments ADD COLUMN second_master INTEGER NOT NULL DEFAULT 0;"},
    {14, "recognition: the bytes a teacher presented, kept to re-check their status",
     /* The recognizer verifies a presented record itself and re-checks its
      * status when the verdict is older than the status ttl, so it keeps the
      * record or bundle as presented. Rows from before hold none and their
      * verdict was the client's: they count nothing until presented again. */
     "ALTER TABLE recognition_presentations ADD COLUMN presented BLOB;"
     "UPDATE recognition_presentations SET verdict = 'indeterminate',"
     " status_result = 'indeterminate';"
     /* A policy that requires approval counts a record only for the earner
      * account that was approved, before the record was issued (its iat). */
     "ALTER TABLE recognition_presentations ADD COLUMN earner_id INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE recognition_presentations ADD COLUMN issued_ms INTEGER NOT NULL DEFAULT 0;"},
    {15, "records: links an earner shares and may withdraw",
     /* Public reads of a record go through a share token the earner (or an
      * admin) makes: 128 random bits, stored only as their SHA-256 so the
      * database does not hold working links. Withdrawn rows stay for audit. */
     "CREATE TABLE record_shares ("
     " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
     " record_id INTEGER NOT NULL REFERENCES records(id),"
     " created_by INTEGER NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " withdrawn_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX record_shares_by_record ON record_shares(record_id);"},
    {16, "accounts: the auth generation",
     /* Nodes keep verified bearer tokens in memory (node/accounts/
      * token_cache.h); another process sharing this database learns that a
      * token was revoked, a user disabled or its roles changed when this
      * counter moves. Triggers bump it inside the changing transaction, so
      * no writer can forget to. */
     "CREATE TABLE auth_generation ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " n INTEGER NOT NULL);"
     "INSERT INTO auth_generation (id, n) VALUES (1, 0);"
     "CREATE TRIGGER auth_generation_users AFTER UPDATE OF roles, disabled_ms ON users"
     " BEGIN UPDATE auth_generation SET n = n + 1 WHERE id = 1; END;"
     "CREATE TRIGGER auth_generation_users_gone AFTER DELETE ON users"
     " BEGIN UPDATE auth_generation SET n = n + 1 WHERE id = 1; END;"
     "CREATE TRIGGER auth_generation_tokens AFTER UPDATE OF revoked_ms, user_id, hash ON tokens"
     " BEGIN UPDATE auth_generation SET n = n + 1 WHERE id = 1; END;"
     "CREATE TRIGGER auth_generation_tokens_gone AFTER DELETE ON tokens"
     " BEGIN UPDATE auth_generation SET n = n + 1 WHERE id = 1; END;"},
    {17, "review lifecycle: teams confirmed by every member, appeals of outcomes, stacks",
     /* A team is declared by one member naming the others; it counts (its
      * members' shared work is not compared with each other) only once every
      * member confirmed (confirmed_ms <> 0). An appeal is one earner's
      * contest of one decided submission, decided once. */
     "CREATE TABLE teams ("
     " id INTEGER PRIMARY KEY,"
     " credential_id TEXT NOT NULL,"
     " name TEXT NOT NULL,"
     " created_by INTEGER NOT NULL REFERENCES users(id),"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (credential_id, name));"
     "CREATE TABLE team_members ("
     " team_id INTEGER NOT NULL REFERENCES teams(id),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " confirmed_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (team_id, user_id)) WITHOUT ROWID;"
     "CREATE TABLE appeals ("
     " id INTEGER PRIMARY KEY,"
     " submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id),"
     " earner_id INTEGER NOT NULL REFERENCES users(id),"
     " reason TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('open', 'assigned', 'upheld', 'overturned')),"
     " master_id INTEGER NOT NULL DEFAULT 0,"
     " level INTEGER NOT NULL DEFAULT -1,"
     " note TEXT NOT NULL DEFAULT '',"
     " decided_by INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL,"
     " decided_ms INTEGER NOT NULL DEFAULT 0);"
     /* A stack: earning every member credential earns the stack credential,
      * issued once per earner (the primary key of stack_records). */
     "CREATE TABLE stacks ("
     " id TEXT PRIMARY KEY,"
     " title TEXT NOT NULL,"
     " members TEXT NOT NULL,"
     " ceu_hundredths INTEGER NOT NULL DEFAULT 0,"
     " created_by INTEGER NOT NULL REFERENCES users(id),"
     " created_ms INTEGER NOT NULL);"
     "CREATE TABLE stack_records ("
     " stack_id TEXT NOT NULL REFERENCES stacks(id),"
     " earner_id INTEGER NOT NULL REFERENCES users(id),"
     " record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),"
     " issued_ms INTEGER NOT NULL,"
     " PRIMARY KEY (stack_id, earner_id)) WITHOUT ROWID;"},
    {18, "reviewer borrowing: stand-ins for reviewers who live on another node",
     /* A stand-in is an ordinary users row (reviewer role, a profile) that
      * the review services treat as any reviewer; this row says whose it is
      * (include/accord/store/remote.h). */
     "CREATE TABLE remote_reviewers ("
     " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
     " home_node TEXT NOT NULL,"
     " home_user INTEGER NOT NULL CHECK (home_user > 0),"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (home_node, home_user));"},
    {19, "reviewer lending: policies per peer and credential, capacity offers, borrowing modes",
     /* On a lender: what its admin lets one peer borrow for one of the
      * peer's credentials (include/accord/store/lending.h). reviewers is
      * '*' (every local reviewer) or ascending user ids joined by ',';
      * blackouts is 'from:until' millisecond ranges joined by ','. */
     "CREATE TABLE lending_policies ("
     " peer TEXT NOT NULL,"
     " credential_id TEXT NOT NULL,"
     " reviewers TEXT NOT NULL,"
     " monthly_cap INTEGER NOT NULL CHECK (monthly_cap > 0),"
     " blackouts TEXT NOT NULL,"
     " own_first INTEGER NOT NULL CHECK (own_first IN (0, 1)),"
     " updated_ms INTEGER NOT NULL,"
     " PRIMARY KEY (peer, credential_id)) WITHOUT ROWID;"
     /* On an issuer: the latest capacity offer of each lender (a newer one
      * replaces it whole) and the reviewers it named, linked to their
      * stand-ins. */
     "CREATE TABLE capacity_offers ("
     " peer TEXT PRIMARY KEY,"
     " msg_id TEXT NOT NULL,"
     " sent_ms INTEGER NOT NULL,"
     " received_ms INTEGER NOT NULL);"
     "CREATE TABLE capacity_reviewers ("
     " peer TEXT NOT NULL REFERENCES capacity_offers(peer),"
     " credential_id TEXT NOT NULL,"
     " home_user INTEGER NOT NULL CHECK (home_user > 0),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " certified_at_home INTEGER NOT NULL CHECK (certified_at_home IN (0, 1)),"
     " slots INTEGER NOT NULL CHECK (slots >= 0),"
     " PRIMARY KEY (peer, credential_id, home_user)) WITHOUT ROWID;"
     "CREATE INDEX capacity_reviewers_by_credential ON capacity_reviewers(credential_id);"
     /* On an issuer: whether work goes to borrowed reviewers only above own
      * capacity or always; credential_id '*' is the node's default. */
     "CREATE TABLE borrowing_modes ("
     " credential_id TEXT PRIMARY KEY,"
     " mode TEXT NOT NULL CHECK (mode IN ('above_capacity', 'always')),"
     " updated_ms INTEGER NOT NULL);"},
    {20, "records: key hand-overs",
     /* The statement each retired signing key made at its rotation, naming
      * its successor and the log head (core/records/keyhistory.c); bundles
      * carry them so a verifier trusting an older key reaches the current
      * one. Kept for ever, like the retired keys themselves. */
     "CREATE TABLE key_handovers ("
     " kid TEXT PRIMARY KEY,"
     " at_ms INTEGER NOT NULL,"
     " statement BLOB NOT NULL) WITHOUT ROWID;"},
    {21, "recognition: a policy may name a peer's credential by its content hash",
     /* A policy naming a peer's credential keeps the peer's node id and the
      * content hash the peer's signed catalog gave that version; '' for a
      * policy that names an issuer and credential without pinning one. */
     "ALTER TABLE recognition_policies ADD COLUMN peer TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE recognition_policies ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';"},
    {22, "holder binding: verified e-mail addresses, the earner beside each record",
     /* Records name their earner as the salted hash of a verified e-mail
      * address (core/records/subject.h), never a user id. A user's address
      * counts as verified (email_verified_ms <> 0) once its owner redeemed a
      * one-time link mailed to it, or an admin vouched for it. Links are
      * found by a keyed hash of their token, like sign-in links. */
     "ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE users ADD COLUMN email_verified_ms INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE email_links ("
     " hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " email TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " expires_ms INTEGER NOT NULL,"
     " used_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
     /* Who may read a record and which credentials a user holds follow the
      * earner stored beside it (0: issued by an admin to an address, not to
      * an account), since the subject no longer names anyone. The address
      * hashed is kept so its earner can be given the opening (address and
      * salt) later, even after changing address. */
     "ALTER TABLE records ADD COLUMN earner_id INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE records ADD COLUMN subject_email TEXT NOT NULL DEFAULT '';"
     "UPDATE records SET earner_id = COALESCE("
     " (SELECT su.earner_id FROM submission_records sr"
     "  JOIN submissions su ON su.id = sr.submission_id WHERE sr.record_id = records.id),"
     " (SELECT sk.earner_id FROM stack_records sk WHERE sk.record_id = records.id), 0);"
     "CREATE INDEX records_by_earner ON records(earner_id, definition_id);"
     /* Presentations verified before a record's subject was bound to the
      * teacher's address count nothing until presented again, when the
      * binding is checked. */
     "UPDATE recognition_presentations SET verdict = 'indeterminate',"
     " status_result = 'indeterminate', presented = NULL;"},
    {23, "cross-node certification: a reviewer's certifications by other nodes",
     /* On the lender: what the issuer last said of a local reviewer's
      * certification for one of its credentials, and the record it signed
      * (include/accord/store/remote_cert.h). */
     "CREATE TABLE remote_certs ("
     " id INTEGER PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " issuer TEXT NOT NULL,"
     " credential TEXT NOT NULL,"
     " version INTEGER NOT NULL DEFAULT 0,"
     " state TEXT NOT NULL,"
     " pending TEXT NOT NULL DEFAULT '',"
     " detail TEXT NOT NULL DEFAULT '{}',"
     " record BLOB,"
     " expires_ms INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " UNIQUE (user_id, issuer, credential));"},
    {24, "borrowed review: batches lent out and borrowed in, the reciprocity ledger",
     /* Issuer side. A batch sent to a stand-in (remote.h) is offered to the
      * stand-in's home node; each of its assignments travels under a random
      * pseudonym (never the earner), and the artifacts it cites are the only
      * ones that peer may fetch, while the assignment is accepted. Counters
      * keep per-peer tallies of refusals (a result after reclaim). */
     "CREATE TABLE borrow_batches ("
     " batch_id INTEGER PRIMARY KEY REFERENCES batches(id),"
     " peer TEXT NOT NULL,"
     " stand_in INTEGER NOT NULL REFERENCES users(id),"
     " state TEXT NOT NULL CHECK (state IN"
     "  ('offered', 'accepted', 'declined', 'reclaimed', 'done')),"
     " reason TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " ended_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX borrow_batches_peer ON borrow_batches(peer, state);"
     "CREATE TABLE borrow_items ("
     " assignment_id INTEGER PRIMARY KEY REFERENCES assignments(id),"
     " batch_id INTEGER NOT NULL REFERENCES borrow_batches(batch_id),"
     " pseudonym TEXT NOT NULL UNIQUE,"
     " result_id TEXT NOT NULL DEFAULT '',"
     " applied_ms INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX borrow_items_batch ON borrow_items(batch_id);"
     "CREATE TABLE borrow_artifacts ("
     " assignment_id INTEGER NOT NULL REFERENCES borrow_items(assignment_id),"
     " hash TEXT NOT NULL,"
     " PRIMARY KEY (assignment_id, hash)) WITHOUT ROWID;"
     "CREATE TABLE borrow_counts ("
     " peer TEXT NOT NULL,"
     " what TEXT NOT NULL,"
     " n INTEGER NOT NULL,"
     " PRIMARY KEY (peer, what)) WITHOUT ROWID;"
     /* Lender side: a batch an issuer offered one of our reviewers, with
      * the rubric and items as the offer carried them (JSON text). */
     "CREATE TABLE lent_batches ("
     " id INTEGER PRIMARY KEY,"
     " issuer TEXT NOT NULL,"
     " remote_batch INTEGER NOT NULL,"
     " reviewer INTEGER NOT NULL," /* 0: an offer declined for want of one */
     " credential_id TEXT NOT NULL,"
     " version INTEGER NOT NULL,"
     " title TEXT NOT NULL,"
     " rubric TEXT NOT NULL,"
     " deadline_ms INTEGER NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN"
     "  ('invited', 'accepted', 'declined', 'reclaimed', 'done')),"
     " reason TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " responded_ms INTEGER NOT NULL DEFAULT 0,"
     " ended_ms INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE (issuer, remote_batch));"
     "CREATE INDEX lent_batches_reviewer ON lent_batches(reviewer);"
     "CREATE TABLE lent_items ("
     " id INTEGER PRIMARY KEY,"
     " batch_id INTEGER NOT NULL REFERENCES lent_batches(id),"
     " pseudonym TEXT NOT NULL,"
     " school TEXT NOT NULL DEFAULT '',"
     " district TEXT NOT NULL DEFAULT '',"
     " elements TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN"
     "  ('open', 'scored', 'accepted', 'refused', 'closed')),"
     " levels TEXT NOT NULL DEFAULT '',"
     " feedback TEXT NOT NULL DEFAULT '',"
     " reason TEXT NOT NULL DEFAULT '',"
     " scored_ms INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE (batch_id, pseudonym));"
     /* Both sides: one row per accepted borrowed review, holding the receipt
      * both nodes signed (the issuer's envelope around the lender's signed
      * result), so either side can show what it claims. */
     "CREATE TABLE ledger ("
     " id INTEGER PRIMARY KEY,"
     " peer TEXT NOT NULL,"
     " direction TEXT NOT NULL CHECK (direction IN ('lent', 'borrowed')),"
     " credential_id TEXT NOT NULL,"
     " month TEXT NOT NULL,"
     " result_id TEXT NOT NULL,"
     " receipt BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (peer, direction, result_id));"
     "CREATE TABLE ledger_policy ("
     " peer TEXT PRIMARY KEY,"
     " max_debt INTEGER NOT NULL CHECK (max_debt >= 0));"},
    {25, "pilot scoring: an expert's notes and per-element levels",
     /* Beside an expert's pilot score (whose level the agreement is measured
      * on), what else the expert said: JSON text {"notes", "elements": [{
      * "element", "level", "notes"}]}, written with the score and as final. */
     "CREATE TABLE pilot_score_notes ("
     " submission_id INTEGER NOT NULL,"
     " expert_id INTEGER NOT NULL,"
     " detail TEXT NOT NULL,"
     " PRIMARY KEY (submission_id, expert_id),"
     " FOREIGN KEY (submission_id, expert_id)"
     "  REFERENCES pilot_scores(submission_id, expert_id)) WITHOUT ROWID;"},
    {26, "transparency log: the head row writers lock, one checkpoint per size and key",
     /* Several node processes may write one database: each locks this one
      * row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
      * already serialises writers) before it appends, so the leaf, the new
      * head and its signed checkpoint commit together, and the unique index
      * refuses a second checkpoint of one size under one key (the log's
      * identity beside its origin: a re-signing after a key rotation is the
      * same head under the next key). The head starts at the newest
      * checkpoint, which matches the stored leaves (checked at every start),
      * or the empty tree, SHA-256 of nothing. */
     "CREATE TABLE log_head ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " size INTEGER NOT NULL CHECK (size >= 0),"
     " root BLOB NOT NULL CHECK (length(root) = 32));"
     "INSERT INTO log_head (id, size, root) VALUES (1, 0,"
     " X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');"
     "UPDATE log_head SET size = c.size, root = c.root FROM"
     " (SELECT size, root FROM log_checkpoints ORDER BY size DESC, id DESC LIMIT 1) AS c;"
     "CREATE UNIQUE INDEX log_checkpoints_one_per_size ON log_checkpoints(size, kid);"},
    {27, "idempotency keys: a write's stored answer, replayed to a repeat of it",
     /* A write request that carries an Idempotency-Key stores, in its own
      * transaction, who sent it (|principal|: a digest of the credential),
      * what it was (method, path, SHA-256 of the body) and the answer given
      * (status, the headers that matter as "name: value" lines, body), so a
      * repeat gets that answer instead of running again (docs/api.md).
      * Rows older than the configured lifetime are pruned. */
     "CREATE TABLE idempotency_keys ("
     " principal TEXT NOT NULL,"
     " idem_key TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " path TEXT NOT NULL,"
     " body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),"
     " status INTEGER NOT NULL,"
     " headers TEXT NOT NULL,"
     " body BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " PRIMARY KEY (principal, idem_key)) WITHOUT ROWID;"
     "CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_ms);"},
};

const size_t ac__nmigrations = sizeof ac__migrations / sizeof ac__migrations[0];
