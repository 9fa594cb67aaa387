-- A music store in the style of the classic Chinook sample database (written for sandbox's tests).
CREATE TABLE artist (
    artist_id integer PRIMARY KEY,
    name varchar(120) NOT NULL
);

CREATE TABLE genre (
    genre_id smallint PRIMARY KEY,
    name varchar(40) NOT NULL UNIQUE
);

CREATE TABLE album (
    album_id integer PRIMARY KEY,
    title varchar(160) NOT NULL,
    artist_id integer NOT NULL REFERENCES artist (artist_id)
);

CREATE TABLE track (
    track_id integer PRIMARY KEY,
    name varchar(200) NOT NULL,
    album_id integer REFERENCES album (album_id),
    genre_id smallint REFERENCES genre (genre_id),
    media_type varchar(30) NOT NULL CHECK (media_type IN ('MPEG audio file', 'AAC audio file', 'Protected AAC audio file')),
    composer varchar(220),
    milliseconds integer NOT NULL,
    bytes integer,
    unit_price numeric(10, 2) NOT NULL
);

CREATE TABLE employee (
    employee_id integer PRIMARY KEY,
    last_name varchar(20) NOT NULL,
    first_name varchar(20) NOT NULL,
    title varchar(30),
    reports_to integer REFERENCES employee (employee_id),
    birth_date date,
    hire_date timestamp,
    city varchar(40),
    country varchar(40),
    postal_code varchar(10),
    phone varchar(24),
    email varchar(60) NOT NULL UNIQUE
);

CREATE TABLE customer (
    customer_id integer PRIMARY KEY,
    first_name varchar(40) NOT NULL,
    last_name varchar(20) NOT NULL,
    company varchar(80),
    address varchar(70),
    city varchar(40),
    state varchar(40),
    country varchar(40),
    postal_code varchar(10),
    phone varchar(24),
    email varchar(60) NOT NULL,
    support_rep_id integer REFERENCES employee (employee_id)
);

CREATE TABLE invoice (
    invoice_id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customer (customer_id),
    invoice_date timestamp NOT NULL,
    billing_city varchar(40),
    billing_country varchar(40),
    total numeric(10, 2) NOT NULL
);

CREATE TABLE invoice_line (
    invoice_line_id integer PRIMARY KEY,
    invoice_id integer NOT NULL REFERENCES invoice (invoice_id),
    track_id integer NOT NULL REFERENCES track (track_id),
    unit_price numeric(10, 2) NOT NULL,
    quantity integer NOT NULL
);

CREATE TABLE playlist (
    playlist_id integer PRIMARY KEY,
    name varchar(120)
);

CREATE TABLE playlist_track (
    playlist_id integer NOT NULL REFERENCES playlist (playlist_id),
    track_id integer NOT NULL REFERENCES track (track_id),
    PRIMARY KEY (playlist_id, track_id)
);
