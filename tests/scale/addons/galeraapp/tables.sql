-- galeraapp: the writes of the cluster test.


-- gal_note: one row per acknowledged write; token is the client's own id of the write.
--   token  unique per write, chosen by the client
--   pid    the process that wrote it
-- DROP TABLE gal_note;
CREATE TABLE gal_note (
  id int NOT NULL AUTO_INCREMENT,
  token varchar(64) DEFAULT NULL,
  pid int DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY token (token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- INSERT INTO gal_note (token, pid) VALUES ('t-1', 4242);
