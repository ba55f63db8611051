-- products: the tables of the example app.
--
-- Written once in MySQL syntax; the embedded SQLite engine reads this same
-- file (`python inphms-bin db init`, or the server's start, creates them).
-- Every table has id, is_active (1/0: nothing is deleted), created_at,
-- updated_at (automatic) and data (JSON).  The DROP line of each table and
-- its example rows are commented out: db init never loads fake rows.


-- prod: the products.  Ids start at 4000, so a 4-digit id is a product.
--   name       the product's name, as shown on the pages
--   sku        the shop's own code of the product (stock keeping unit), unique,
--              letters, digits and . _ - (e.g. 'TEA-GRN-100')
--   price      in cents: 1250 is 12.50 (decimal is not in the tables.sql subset)
--   is_active  0 = switched off by an admin (api_prod_off): not in the list any more
--   data       the product's own attributes, one key each: {"color": "green", "size": "100g"}
--              (searched with where {"color": ("=", "green", "data")})
-- DROP TABLE prod;
CREATE TABLE prod (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) NOT NULL DEFAULT '',
  sku varchar(64) DEFAULT NULL,
  price int unsigned DEFAULT 0,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY sku (sku),
  KEY name (name)
) ENGINE=InnoDB AUTO_INCREMENT=4000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO prod (name, sku, price, data) VALUES ('Green tea 100g', 'TEA-GRN-100', 1250, '{"origin": "Japan"}');
-- INSERT INTO prod (name, sku, price, data) VALUES ('Ceramic mug', 'MUG-CER-350', 2400, '{"color": "white", "size": "350ml"}');
-- INSERT INTO prod (name, sku, price, is_active) VALUES ('Old teapot', 'POT-OLD-1', 3900, 0);


-- prod_data: the history of a product, one line per event.  Ids start at 40000.
--   prod_id    the prod.id the line belongs to
--   name       what happened: 'created', 'changed', 'note', 'switched off', 'switched on'
--   data       the details: {"by": users.id, "uname": "Dana Levi",
--              "was": {"price": 1200}, "now": {"price": 1250}, "note": "new supplier"}
-- DROP TABLE prod_data;
CREATE TABLE prod_data (
  id int NOT NULL AUTO_INCREMENT,
  prod_id int NOT NULL,
  name varchar(64) NOT NULL DEFAULT '',
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id),
  KEY prod_id (prod_id)
) ENGINE=InnoDB AUTO_INCREMENT=40000 DEFAULT CHARSET=utf8mb4;
-- INSERT INTO prod_data (prod_id, name, data) VALUES (4000, 'created', '{"by": 10000, "uname": "Dana Levi", "now": {"name": "Green tea 100g", "sku": "TEA-GRN-100", "price": 1250}}');
-- INSERT INTO prod_data (prod_id, name, data) VALUES (4000, 'changed', '{"by": 10001, "uname": "Eli Cohen", "was": {"price": 1200}, "now": {"price": 1250}, "note": "new supplier"}');
-- INSERT INTO prod_data (prod_id, name, data) VALUES (4002, 'switched off', '{"by": 10000, "uname": "Dana Levi"}');
