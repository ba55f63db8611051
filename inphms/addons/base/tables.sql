-- base: the core tables of every inphms project.
--
-- Written once in MySQL syntax; the embedded SQLite engine reads this same
-- file (`python inphms-bin db init` creates every missing table, and the
-- server runs it by itself on an empty database).
--
-- Every table has:
--   id          int, AUTO_INCREMENT, starting at 4-5 digits so ids are easy to
--               recognise (ses: the session token instead)
--   is_active   1 = active (default), 0 = not; rows are never deleted
--   created_at  set when the row is created
--   updated_at  set again each time the row changes (automatic on both engines)
--   update_at   the same time under Flyton's name (Flyton's init.sql calls the column so);
--               both change together, and a write through tools.sql that sets one sets both
--   data        JSON for the row's dynamic fields (get_data / add_to_data)
-- Timestamps are UTC.  The DROP line of each table is kept commented out, and
-- so are the example rows: db init creates tables, never fake rows.


-- users: the people who log in.
--   username   login name, unique
--   LastName, FirstName
--   Roles      JSON list of role keys, e.g. ["admin"] (labels: gen key1='roles')
--   sis        the password hash (werkzeug.security), never the password itself
--   data       e.g. {"mfa": "<totp secret>", "fails": 0, "locked_until": "..."}
-- DROP TABLE users;
CREATE TABLE users (
  id int NOT NULL AUTO_INCREMENT,
  username varchar(255) DEFAULT NULL,
  LastName text,
  FirstName text,
  Roles json DEFAULT NULL,
  sis text,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  update_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB AUTO_INCREMENT=10000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO users (username, LastName, FirstName, Roles, sis) VALUES ('admin', 'Cohen', 'Dana', '["admin"]', 'scrypt:32768:8:1$...');
-- INSERT INTO users (username, LastName, FirstName, Roles, sis) VALUES ('eli', 'Levi', 'Eli', '["owner"]', 'scrypt:32768:8:1$...');
-- INSERT INTO users (username, LastName, FirstName, Roles, sis, is_active) VALUES ('old', 'Mizrahi', 'Noa', '[]', 'scrypt:32768:8:1$...', 0);


-- ses: the live sessions, one per browser tab after login.
--   id         the session token (84 characters of [A-Za-z0-9_-]), not a number
--   user_id    the users.id of the session's user
--   data       what pages keep between requests (add2ses), e.g. {"my_user_id": 10000, "page": "dashboard"}
--   updated_at last use (touched at most once a minute); idle sessions are ended by cron ses_expire
-- DROP TABLE ses;
CREATE TABLE ses (
  id varchar(255) NOT NULL,
  user_id int DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  update_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY user_id (user_id),
  KEY updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- INSERT INTO ses (id, user_id, data) VALUES ('Zq3...84 characters...x1', 10000, '{"my_user_id": 10000}');
-- INSERT INTO ses (id, user_id, data) VALUES ('b7K...84 characters...Qe', 10001, '{"my_user_id": 10001, "page": "prodlist"}');
-- INSERT INTO ses (id, user_id, is_active) VALUES ('0aP...84 characters...m9', 10000, 0);


-- gen: the general constants of the system, and small tables that rarely change.
--   key1       the constant's name (gen_data() answers {key1: {"id", "val", "data"}})
--   val1       its value
--   data       more: a list (list_gen_tab) or a dict, e.g. the role labels,
--              or '<table>_dict' rows: {column: {code: label}} (list_tab_dict)
-- DROP TABLE gen;
CREATE TABLE gen (
  id int NOT NULL AUTO_INCREMENT,
  key1 varchar(255) DEFAULT NULL,
  val1 varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  update_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY key1 (key1)
) ENGINE=InnoDB AUTO_INCREMENT=1000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO gen (key1, val1) VALUES ('year', '2024');
-- INSERT INTO gen (key1, val1, data) VALUES ('roles', '0', '{"admin": "Admin", "owner": "Owner"}');
-- INSERT INTO gen (key1, val1, data) VALUES ('prod_dict', '0', '{"is_active": {"0": "archive", "1": "ready"}}');


-- logs: one row per call to an outside service (add_log / add_log_res).
--   act_type   what was done, e.g. 'sms send'
--   send_text  what was sent
--   response   what came back
-- DROP TABLE logs;
CREATE TABLE logs (
  id int NOT NULL AUTO_INCREMENT,
  act_type varchar(255) DEFAULT NULL,
  send_text text,
  response text,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  update_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY act_type (act_type),
  KEY created_at (created_at)
) ENGINE=InnoDB AUTO_INCREMENT=10000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO logs (act_type, send_text, response) VALUES ('sms send', '{"to": "0541234567"}', '{"ok": 1}');
-- INSERT INTO logs (act_type, send_text, response) VALUES ('mail send', 'welcome mail to dana', 'queued');
-- INSERT INTO logs (act_type, send_text, data) VALUES ('login fail', 'eli', '{"ip": "10.0.0.7"}');


-- cron: the bookkeeping of scheduled jobs, one row per job.
--   name         the job (server/apis/tools/cron/<name>.py), unique
--   every        seconds between two runs
--   next_run     when it is due
--   last_run     when it last started; last_status 'ok' or 'error'; last_error the error text
--   lease_until  a server that claims the job (one atomic UPDATE) holds it until then;
--   lease_owner  which server/thread holds it, so several servers run each due job once
--   is_active    0 = the job is switched off
-- DROP TABLE cron;
CREATE TABLE cron (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) NOT NULL,
  every int DEFAULT 60,
  next_run timestamp NULL DEFAULT NULL,
  last_run timestamp NULL DEFAULT NULL,
  last_status varchar(20) DEFAULT NULL,
  last_error text,
  lease_until timestamp NULL DEFAULT NULL,
  lease_owner varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  update_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY name (name)
) ENGINE=InnoDB AUTO_INCREMENT=1000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO cron (name, every, next_run) VALUES ('ses_expire', 300, '2024-06-14 10:40:00');
-- INSERT INTO cron (name, every, next_run) VALUES ('archive', 3600, '2024-06-14 11:00:00');
-- INSERT INTO cron (name, every, last_status, last_error) VALUES ('report', 86400, 'error', 'mail server down');


-- ses_arc: sessions moved out of ses by cron archive (same columns, same ids).
--   archived_at  when the row was moved
-- DROP TABLE ses_arc;
CREATE TABLE ses_arc (
  id varchar(255) NOT NULL,
  user_id int DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  update_at timestamp NULL DEFAULT NULL,
  data json DEFAULT NULL,
  archived_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY user_id (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- INSERT INTO ses_arc (id, user_id, is_active, created_at, updated_at) VALUES ('Zq3...x1', 10000, 0, '2024-05-01 08:00:00', '2024-05-01 09:10:00');
-- INSERT INTO ses_arc (id, user_id, is_active, created_at, updated_at) VALUES ('b7K...Qe', 10001, 0, '2024-05-02 08:00:00', '2024-05-02 08:30:00');
-- INSERT INTO ses_arc (id, user_id, is_active, created_at, updated_at) VALUES ('0aP...m9', 10000, 0, '2024-05-03 08:00:00', '2024-05-03 12:00:00');


-- logs_arc: log rows moved out of logs by cron archive (same columns, same ids).
--   archived_at  when the row was moved
-- DROP TABLE logs_arc;
CREATE TABLE logs_arc (
  id int NOT NULL,
  act_type varchar(255) DEFAULT NULL,
  send_text text,
  response text,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  update_at timestamp NULL DEFAULT NULL,
  data json DEFAULT NULL,
  archived_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY act_type (act_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- INSERT INTO logs_arc (id, act_type, send_text, response, created_at) VALUES (10000, 'sms send', '{"to": "0541234567"}', '{"ok": 1}', '2024-05-01 08:00:00');
-- INSERT INTO logs_arc (id, act_type, send_text, response, created_at) VALUES (10001, 'mail send', 'welcome mail to dana', 'queued', '2024-05-01 08:01:00');
-- INSERT INTO logs_arc (id, act_type, send_text, created_at) VALUES (10002, 'login fail', 'eli', '2024-05-01 08:02:00');
