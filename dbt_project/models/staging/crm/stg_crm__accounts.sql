-- The CRM accounts export, renamed and cast: its match keys, then the fields enrichment.yml
-- declares (the loader names them), read from the table as loaded. Before the first load there
-- is no table, and this model is empty with its keys.

{%- set accounts = source('crm', 'accounts') %}
{%- set loaded = adapter.get_relation(accounts.database, accounts.schema, accounts.identifier) if execute else none %}
{%- set fields = [] %}
{%- if loaded is not none %}
{%- for column in adapter.get_columns_in_relation(loaded) %}
{%- if column.name not in ['source_line', 'email', 'vat_number'] and not column.name.startswith('_dlt') %}
{%- do fields.append(column.name) %}
{%- endif %}
{%- endfor %}
{%- endif %}

with

source as (

    {%- if loaded is none %}
    select
        cast(null as bigint) as source_line,
        cast(null as varchar) as email,
        cast(null as varchar) as vat_number
    where false
    {%- else %}
    select * from {{ accounts }}
    {%- endif %}

),

renamed as (

    select
        -- ids
        cast(source_line as bigint) as source_line,

        -- match keys, then the declared fields
        cast(email as varchar) as email,
        cast(vat_number as varchar) as vat_number
        {%- for field in fields %},
        cast({{ adapter.quote(field) }} as varchar) as {{ adapter.quote(field) }}
        {%- endfor %}

    from source

)

select * from renamed
