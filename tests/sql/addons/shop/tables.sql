-- shop: the tables of the database tests (a small product catalogue).


-- cat: product categories.
--   name   the category's name
-- DROP TABLE cat;
CREATE TABLE cat (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id)
) AUTO_INCREMENT=300;
-- INSERT INTO cat (name) VALUES ('tea');
-- INSERT INTO cat (name) VALUES ('coffee');
-- INSERT INTO cat (name, is_active) VALUES ('old', 0);


-- prod: products.
--   cat_id   the cat.id of the product's category
--   price    in cents, never negative
--   note     a short text shown under the name
-- DROP TABLE prod;
CREATE TABLE IF NOT EXISTS `prod` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL DEFAULT '',
  `cat_id` int DEFAULT NULL,
  `price` int unsigned DEFAULT 0,
  `note` varchar(100) DEFAULT 'it''s new' COMMENT 'shown under the name',
  `is_active` tinyint(1) DEFAULT 1,
  `created_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  `updated_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `data` json DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `cat_id` (`cat_id`),
  KEY (`price`, `is_active`)
) ENGINE=InnoDB AUTO_INCREMENT=4000 DEFAULT CHARSET=utf8mb4 COMMENT='products';
-- INSERT INTO prod (name, cat_id, price) VALUES ('green tea', 300, 1200);
-- INSERT INTO prod (name, cat_id, price, data) VALUES ('espresso', 301, 900, '{"size": "small"}');
-- INSERT INTO prod (name, cat_id, price, is_active) VALUES ('old mug', 302, 500, 0);
