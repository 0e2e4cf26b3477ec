-- The CRM accounts export, renamed and cast. The fields are those enrichment.yml declares (the
-- loader names them), read from the table as loaded; before the first load there is no table,
-- and this model is empty with its keys.

{%- set accounts = source('crm', 'accounts') %}
{%- set loaded = adapter.get_relation(accounts.database, accounts.schema, accounts.identifier) if execute else none %}
{%- set keys = ['source_line', 'email', 'vat_number'] %}

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

        -- match keys
        cast(email as varchar) as email,
        cast(vat_number as varchar) as vat_number

        -- declared fields
        {%- if loaded is not none %}
        {%- for column in adapter.get_columns_in_relation(loaded) %}
        {%- if column.name not in keys and not column.name.startswith('_dlt') %},
        cast({{ adapter.quote(column.name) }} as varchar) as {{ adapter.quote(column.name) }}
        {%- endif %}
        {%- endfor %}
        {%- endif %}

    from source

)

select * from renamed
