-- Infor customers the FreshBooks clients call for, one row per candidate (or one per failed
-- check): a create for a client no Infor customer matches, under a customer number derived
-- from the client ('FB' + client id, so a retry finds it), and an update when a field
-- FreshBooks owns differs from Infor. Ownership keeps the two directions from undoing each
-- other: FreshBooks owns e-mail, VAT number and currency; name, address and phone are
-- Infor's once the customer exists there (they flow back: plan_freshbooks__clients); group,
-- order type, terms and credit limit are set at creation and are then Infor's. The VAT code
-- follows the taxes FreshBooks charges the client (int_freshbooks__client_tax_codes), so both
-- systems total the client's invoices alike.

with

clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted

),

matches as (

    select client_key, match_status, customer_number from {{ ref('int_customers_matched') }}

),

m3_customers as (

    select * from {{ ref('stg_infor__customers') }}

),

client_taxes as (

    select client_key, vat_code, unmapped_taxes from {{ ref('int_freshbooks__client_tax_codes') }}

),

client_values as (

    select
        clients.client_key,
        clients.account_id,
        clients.client_id,
        clients.client_type,
        clients.currency_code,
        matches.match_status,
        matches.customer_number,

        -- M3 customer fields as the client gives them
        coalesce(matches.customer_number, {{ sync_new_customer_number('clients.client_id') }}) as CUNO,
        {{ m3_text("coalesce(nullif(trim(clients.organization), ''), clients.contact_name)", 'CRS610MI/Add', 'CUNM') }} as CUNM,
        {{ m3_text('clients.billing_street', 'CRS610MI/Add', 'CUA1') }} as CUA1,
        {{ m3_text('clients.billing_street_2', 'CRS610MI/Add', 'CUA2') }} as CUA2,
        {{ m3_text('clients.billing_city', 'CRS610MI/Add', 'TOWN') }} as TOWN,
        -- ECAR takes a 2-letter state or province code; a spelled-out name is left out
        case
            when length(trim(clients.billing_province)) = 2 then upper(trim(clients.billing_province))
        end as ECAR,
        {{ m3_text('clients.billing_postal_code', 'CRS610MI/Add', 'PONO') }} as PONO,
        coalesce({{ sync_country_code('clients.billing_country') }}, clients.currency_country_code) as CSCD,
        {{ m3_text('coalesce(clients.business_phone, clients.mobile_phone)', 'CRS610MI/Add', 'PHNO') }} as PHNO,
        {{ m3_text('clients.email_normalized', 'CRS610MI/Add', 'MAIL') }} as MAIL,
        {{ m3_text('clients.contact_name', 'CRS610MI/Add', 'YREF') }} as YREF,
        {{ m3_text("upper(replace(clients.name_normalized, ' ', ''))", 'CRS610MI/Add', 'ALCU') }} as ALCU,
        {{ m3_text('clients.customer_template', 'CRS610MI/Add', 'CUTM') }} as CUTM,
        {{ m3_text('clients.customer_group', 'CRS610MI/ChgOrderInfo', 'CUCL') }} as CUCL,
        {{ m3_text('clients.order_type', 'CRS610MI/ChgOrderInfo', 'ORTP') }} as ORTP,
        {{ m3_text('clients.payment_terms', 'CRS610MI/ChgOrderInfo', 'TEPY') }} as TEPY,
        {{ m3_text('clients.currency_code', 'CRS610MI/ChgFinancial', 'CUCD') }} as CUCD,
        {{ m3_text('clients.vat_number', 'CRS610MI/ChgFinancial', 'VRNO') }} as VRNO,
        {{ m3_number('clients.credit_limit', 0) }} as CRLM,
        {{ m3_text('client_taxes.vat_code', 'CRS610MI/ChgFinancial', 'VTCD') }} as VTCD,
        client_taxes.unmapped_taxes

    from clients
    inner join matches on clients.client_key = matches.client_key
    left join client_taxes on clients.client_key = client_taxes.client_key

),

compared as (

    select
        client_values.*,
        m3_customers.customer_number is not null as is_in_infor,
        m3_customers.email as m3_email,
        m3_customers.vat_number as m3_vat_number,
        m3_customers.currency_code as m3_currency_code,
        m3_customers.vat_code as m3_vat_code,
        {{ sync_differs("client_values.MAIL", sync_comparable_text("m3_customers.email")) }}
            or {{ sync_differs(
                "upper(replace(client_values.VRNO, ' ', ''))",
                "upper(replace(m3_customers.vat_number, ' ', ''))"
            ) }}
            or {{ sync_differs("client_values.CUCD", "m3_customers.currency_code") }}
            or {{ sync_differs("client_values.VTCD", "m3_customers.vat_code") }}
            as is_changed_in_freshbooks

    from client_values
    left join m3_customers on client_values.customer_number = m3_customers.customer_number

),

creates as (

    -- unmatched clients, and those whose match needs a person (they fail a check below)
    select
        client_key as candidate_key,
        'create' as operation,
        CUNO, CUNM, CUA1, CUA2, TOWN, ECAR, PONO, CSCD, PHNO, MAIL, YREF, ALCU,
        CUTM, CUCL, ORTP, TEPY, CUCD, VRNO, CRLM, VTCD,
        client_key, account_id, client_id, client_type, currency_code, match_status,
        unmapped_taxes,
        cast(null as {{ dbt.type_string() }}) as before_values

    from compared
    where customer_number is null

),

updates as (

    -- only the fields FreshBooks owns; a null field is left as Infor has it
    select
        client_key as candidate_key,
        'update' as operation,
        CUNO,
        cast(null as {{ dbt.type_string() }}) as CUNM,
        cast(null as {{ dbt.type_string() }}) as CUA1,
        cast(null as {{ dbt.type_string() }}) as CUA2,
        cast(null as {{ dbt.type_string() }}) as TOWN,
        cast(null as {{ dbt.type_string() }}) as ECAR,
        cast(null as {{ dbt.type_string() }}) as PONO,
        cast(null as {{ dbt.type_string() }}) as CSCD,
        cast(null as {{ dbt.type_string() }}) as PHNO,
        MAIL,
        cast(null as {{ dbt.type_string() }}) as YREF,
        cast(null as {{ dbt.type_string() }}) as ALCU,
        cast(null as {{ dbt.type_string() }}) as CUTM,
        cast(null as {{ dbt.type_string() }}) as CUCL,
        cast(null as {{ dbt.type_string() }}) as ORTP,
        cast(null as {{ dbt.type_string() }}) as TEPY,
        CUCD,
        VRNO,
        cast(null as {{ dbt.type_string() }}) as CRLM,
        VTCD,
        client_key, account_id, client_id, client_type, currency_code, match_status,
        unmapped_taxes,
        {{ sync_before_values([
            ('MAIL', 'm3_email'), ('CUCD', 'm3_currency_code'), ('VRNO', 'm3_vat_number'),
            ('VTCD', 'm3_vat_code'),
        ]) }} as before_values

    from compared
    where is_in_infor
        and is_changed_in_freshbooks

),

operations as (

    select * from creates
    union all
    select * from updates

),

candidates as (

    select
        candidate_key,
        'infor' as target,
        'customers' as entity,
        CUNO as natural_key,
        operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,
        CUNO, CUNM, CUA1, CUA2, TOWN, ECAR, PONO, CSCD, PHNO, MAIL, YREF, ALCU,
        CUTM, CUCL, ORTP, TEPY, CUCD, VRNO, CRLM, VTCD,
        'freshbooks' as source_system,
        client_key as source_key,
        cast(client_id as {{ dbt.type_string() }}) as source_id,
        client_key,
        account_id,
        client_id,
        client_type,
        currency_code,
        match_status,
        unmapped_taxes,
        before_values

    from operations

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('ambiguous_customer_match', "match_status = 'ambiguous'",
            "'client matches several Infor customers: needs review'"),
        ('duplicate_client', "match_status = 'duplicate_client'",
            "'duplicate client: another FreshBooks client claims the same Infor customer; needs review'"),
        ('missing_name', "operation = 'create' and CUNM is null",
            "'missing required field CUNM (name)'"),
        ('missing_address', "operation = 'create' and CUA1 is null",
            "'missing required field CUA1 (address)'"),
        ('unmapped_currency', "operation = 'create' and CUTM is null",
            dbt.concat(["'currency \"'", "coalesce(currency_code, '')", "'\" has no customer template mapping (CUTM)'"])),
        ('unmapped_client_type', "operation = 'create' and (CUCL is null or ORTP is null or TEPY is null)",
            dbt.concat(["'client type \"'", "coalesce(client_type, '')", "'\" has no customer group mapping (CUCL, ORTP, TEPY)'"])),
        ('unmapped_tax', "unmapped_taxes is not null",
            dbt.concat(["'FreshBooks taxes '", "unmapped_taxes", "' have no Infor VAT code mapping (tax_codes)'"])),
        ('customer_number_too_long', "length(CUNO) > " ~ m3_field_length('CRS610MI/Add', 'CUNO'),
            dbt.concat(["'customer number '", "CUNO", "' is longer than M3 allows'"])),
    ]) }}

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
