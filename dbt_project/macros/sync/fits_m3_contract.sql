{#- Every M3 field a sync declares fits the length the project's M3 contract gives it in its
    transaction (`m3_field_specs`, derived from the tenant's MI Swagger): M3 refuses a longer
    value. One row per value that does not fit, naming the field and the transaction.

    `sync`: the sync's name in reverse_etl/syncs.yml; its model's columns are the fields of its
    M3 transactions. With `records`, the model has one row per M3 record of that JSON column
    (`lines`), its columns the fields of each record. -#}

{% test fits_m3_contract(model, sync, records=none) %}
    {%- set declaration = sync_declaration(sync) -%}
    {%- if records is none -%}
        {%- set fields_per_transaction = declaration.transactions -%}
    {%- else -%}
        {%- set part = declaration.records[records] -%}
        {%- set fields_per_transaction = {part.transaction: part.fields} -%}
    {%- endif -%}
    {%- set specs = m3_field_specs() -%}
    {%- set checks = [] -%}
    {%- for transaction, fields in fields_per_transaction.items() -%}
        {%- for field in fields -%}
            {%- if transaction not in specs or field not in specs[transaction] -%}
                {{ exceptions.raise_compiler_error(
                    "sync " ~ sync ~ " declares " ~ field ~ " for " ~ transaction ~ ", which the M3 "
                    ~ "contract does not list as its input: fix reverse_etl/syncs.yml, or add the "
                    ~ "transaction to ledgerlink/contracts/derive_dbt_macros.py and run it"
                ) }}
            {%- endif -%}
            {%- do checks.append((transaction, field, specs[transaction][field]['length'])) -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- for transaction, field, max_length in checks %}
    select
        {{ dbt.string_literal(transaction) }} as m3_transaction,
        {{ dbt.string_literal(field) }} as m3_field,
        cast({{ sync_column(field) }} as {{ dbt.type_string() }}) as field_value,
        {{ max_length }} as max_length
    from {{ model }}
    where length(cast({{ sync_column(field) }} as {{ dbt.type_string() }})) > {{ max_length }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endtest %}
