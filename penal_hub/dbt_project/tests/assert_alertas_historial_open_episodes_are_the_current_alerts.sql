{{ config(meta={'dagster': {'ref': {'name': 'alertas_historial'}}}) }}
-- The history's open episodes are exactly the current alerts (same rows, both ways).
with open_episodes as (
    select codigo_alerta, persona_key, expediente, cod_ep, fecha_referencia, dias_abierta, detalle
    from {{ ref('alertas_historial') }}
    where abierta
),

current_alerts as (
    select codigo_alerta, persona_key, expediente, cod_ep, fecha_referencia, dias_abierta, detalle
    from {{ ref('alertas_interoperabilidad') }}
),

only_in_history as (
    select * from open_episodes
    except
    select * from current_alerts
),

only_current as (
    select * from current_alerts
    except
    select * from open_episodes
)

select 'only in alertas_historial' as where_found, * from only_in_history
union all
select 'only in alertas_interoperabilidad', * from only_current
