-- cronbook: what the test jobs did, and a table archived through the manifest.


-- cron_book: one row per step of a test job.
--   name   the job
--   what   'tick', 'start', 'done', ...
--   pid    the process that ran it
--   due    the tick being run (data["due"])
-- DROP TABLE cron_book;
CREATE TABLE cron_book (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) DEFAULT NULL,
  what varchar(20) DEFAULT NULL,
  pid int DEFAULT NULL,
  due timestamp NULL DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY name (name)
) ENGINE=InnoDB AUTO_INCREMENT=50000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO cron_book (name, what, pid, due) VALUES ('tick', 'tick', 4242, '2024-06-14 10:40:00');
-- INSERT INTO cron_book (name, what, pid, due) VALUES ('slow', 'start', 4242, '2024-06-14 10:40:01');
-- INSERT INTO cron_book (name, what, pid, due) VALUES ('slow', 'done', 4242, '2024-06-14 10:40:01');


-- prod_log: a product event log; rows with is_active = 0 are archived (manifest 'archive').
-- DROP TABLE prod_log;
CREATE TABLE prod_log (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB AUTO_INCREMENT=70000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO prod_log (name) VALUES ('tea sold');
-- INSERT INTO prod_log (name, is_active) VALUES ('tea returned', 0);
-- INSERT INTO prod_log (name, data) VALUES ('tea priced', '{"price": 12}');


-- prod_log_arc: prod_log rows moved by cron archive (same columns, same ids).
-- DROP TABLE prod_log_arc;
CREATE TABLE prod_log_arc (
  id int NOT NULL,
  name varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  data json DEFAULT NULL,
  archived_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- INSERT INTO prod_log_arc (id, name, is_active, created_at, updated_at) VALUES (70000, 'tea sold', 0, '2024-05-01 08:00:00', '2024-05-01 08:00:00');
-- INSERT INTO prod_log_arc (id, name, is_active, created_at, updated_at) VALUES (70001, 'tea returned', 0, '2024-05-01 09:00:00', '2024-05-01 09:00:00');
-- INSERT INTO prod_log_arc (id, name, is_active, created_at, updated_at) VALUES (70002, 'tea priced', 0, '2024-05-01 10:00:00', '2024-05-01 10:00:00');
