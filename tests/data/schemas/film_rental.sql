-- A film rental shop in the style of the classic Sakila / Pagila sample database (written for sandbox's tests).
CREATE TABLE language (
    language_id smallint PRIMARY KEY,
    name char(20) NOT NULL,
    last_update timestamp with time zone NOT NULL
);

CREATE TABLE category (
    category_id smallint PRIMARY KEY,
    name varchar(25) NOT NULL,
    last_update timestamptz NOT NULL
);

CREATE TABLE actor (
    actor_id integer PRIMARY KEY,
    first_name varchar(45) NOT NULL,
    last_name varchar(45) NOT NULL,
    last_update timestamptz NOT NULL
);

CREATE TABLE film (
    film_id integer PRIMARY KEY,
    title varchar(255) NOT NULL,
    description text,
    release_year integer,
    language_id smallint NOT NULL REFERENCES language (language_id),
    original_language_id smallint REFERENCES language (language_id),
    rental_duration smallint NOT NULL,
    rental_rate numeric(4, 2) NOT NULL,
    length smallint,
    replacement_cost numeric(5, 2) NOT NULL,
    rating varchar(5) CHECK (rating IN ('G', 'PG', 'PG-13', 'R', 'NC-17')),
    last_update timestamptz NOT NULL
);

CREATE TABLE film_actor (
    actor_id integer NOT NULL REFERENCES actor (actor_id),
    film_id integer NOT NULL REFERENCES film (film_id),
    last_update timestamptz NOT NULL,
    PRIMARY KEY (actor_id, film_id)
);

CREATE TABLE film_category (
    film_id integer NOT NULL REFERENCES film (film_id),
    category_id smallint NOT NULL REFERENCES category (category_id),
    last_update timestamptz NOT NULL,
    PRIMARY KEY (film_id, category_id)
);

CREATE TABLE store (
    store_id integer PRIMARY KEY,
    address varchar(50) NOT NULL,
    last_update timestamptz NOT NULL
);

CREATE TABLE customer (
    customer_id integer PRIMARY KEY,
    store_id integer NOT NULL REFERENCES store (store_id),
    first_name varchar(45) NOT NULL,
    last_name varchar(45) NOT NULL,
    email varchar(50),
    active boolean NOT NULL,
    create_date date NOT NULL,
    last_update timestamptz
);

CREATE TABLE inventory (
    inventory_id integer PRIMARY KEY,
    film_id integer NOT NULL REFERENCES film (film_id),
    store_id integer NOT NULL REFERENCES store (store_id),
    last_update timestamptz NOT NULL
);

CREATE TABLE rental (
    rental_id integer PRIMARY KEY,
    rental_date timestamptz NOT NULL,
    inventory_id integer NOT NULL REFERENCES inventory (inventory_id),
    customer_id integer NOT NULL REFERENCES customer (customer_id),
    return_date timestamptz,
    last_update timestamptz NOT NULL
);

CREATE TABLE payment (
    payment_id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customer (customer_id),
    rental_id integer REFERENCES rental (rental_id),
    amount numeric(5, 2) NOT NULL,
    payment_date timestamptz NOT NULL
);
