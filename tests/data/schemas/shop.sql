-- A shop with self-referencing employees and a composite-key join table, in the style of classic sample
-- databases such as Northwind (written for sandbox's tests).
CREATE TABLE employees (
    employee_id bigint PRIMARY KEY,
    first_name varchar(10) NOT NULL,
    last_name varchar(20) NOT NULL,
    title varchar(30),
    manager_id bigint,
    email varchar(40) NOT NULL UNIQUE,
    hired_on date NOT NULL,
    CONSTRAINT employees_manager_fk FOREIGN KEY (manager_id) REFERENCES employees (employee_id)
);

CREATE TABLE suppliers (
    supplier_id integer PRIMARY KEY,
    company_name varchar(40) NOT NULL,
    contact_name varchar(30),
    country varchar(15),
    phone varchar(24)
);

CREATE TABLE categories (
    category_id integer PRIMARY KEY,
    category_name varchar(15) NOT NULL,
    description text
);

CREATE TABLE products (
    product_id integer PRIMARY KEY,
    product_name varchar(40) NOT NULL,
    supplier_id integer REFERENCES suppliers (supplier_id),
    category_id integer REFERENCES categories (category_id),
    unit_price numeric(10, 2) NOT NULL DEFAULT 0,
    units_in_stock smallint,
    discontinued boolean NOT NULL
);

CREATE TABLE customers (
    customer_id integer PRIMARY KEY,
    company_name varchar(40) NOT NULL,
    contact_name varchar(30),
    email varchar(60),
    city varchar(15),
    postal_code varchar(10),
    country varchar(15),
    phone varchar(24)
);

CREATE TABLE orders (
    order_id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (customer_id),
    employee_id bigint REFERENCES employees (employee_id),
    ordered_at timestamp with time zone NOT NULL,
    shipped_on date,
    freight numeric(10, 2),
    status varchar(12) NOT NULL CHECK (status IN ('placed', 'shipped', 'delivered', 'cancelled'))
);

CREATE TABLE order_details (
    order_id integer NOT NULL REFERENCES orders (order_id),
    product_id integer NOT NULL REFERENCES products (product_id),
    unit_price numeric(10, 2) NOT NULL,
    quantity smallint NOT NULL CHECK (quantity > 0),
    discount real NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
